package dev.idempotency.client;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** {@link IdempotencyKeyStore#inMemory()}: a concurrent map. This class is threadsafe. */
final class InMemoryKeyStore implements IdempotencyKeyStore {
  private final ConcurrentMap<String, Entry> entries = new ConcurrentHashMap<>();

  @Override
  public Optional<Entry> load(String action) {
    return Optional.ofNullable(entries.get(Objects.requireNonNull(action, "action")));
  }

  @Override
  public void save(Entry entry) {
    entries.put(entry.action(), entry);
  }

  @Override
  public void delete(String action) {
    entries.remove(Objects.requireNonNull(action, "action"));
  }

  @Override
  public List<Entry> loadAll() {
    return List.copyOf(entries.values());
  }

  @Override
  public String toString() {
    return "IdempotencyKeyStore.inMemory(" + entries.size() + " keys)";
  }
}
