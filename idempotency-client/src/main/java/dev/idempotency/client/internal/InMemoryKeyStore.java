package dev.idempotency.client.internal;

import dev.idempotency.client.KeyStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** {@link KeyStore#inMemory()}: a concurrent map. This class is threadsafe. */
public final class InMemoryKeyStore implements KeyStore {
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
    return "KeyStore.inMemory(" + entries.size() + " keys)";
  }
}
