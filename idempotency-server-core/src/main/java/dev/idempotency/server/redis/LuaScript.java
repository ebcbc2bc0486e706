package dev.idempotency.server.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One Lua script, called by its SHA1 (EVALSHA) and sent whole (EVAL) only when the server answers
 * NOSCRIPT: its script cache is empty after a restart, a failover or SCRIPT FLUSH, and in a
 * cluster any node can answer so. The SHA1 is computed here, so no SCRIPT LOAD is ever needed.
 * This class is threadsafe.
 */
final class LuaScript {
  private final String name;
  private final byte[] body;
  private final byte[] sha1;

  private LuaScript(String name, byte[] body) {
    this.name = name;
    this.body = body;
    this.sha1 = sha1Hex(body).getBytes(StandardCharsets.US_ASCII);
  }

  /** Loads {@code <name>.lua} from this package's resources. */
  static LuaScript load(String name) {
    String resource = name + ".lua";
    try (InputStream in = LuaScript.class.getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing resource " + resource);
      return new LuaScript(name, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  String name() {
    return name;
  }

  /** The script's text, a copy. */
  byte[] body() {
    return body.clone();
  }

  /** The lowercase hex SHA1 that Redis names this script by. */
  String sha1() {
    return new String(sha1, StandardCharsets.US_ASCII);
  }

  /**
   * Runs the script on the node that owns {@code key}: one round trip, two when that node's
   * script cache does not hold it yet. Jedis exceptions propagate to the caller.
   */
  Object run(UnifiedJedis jedis, byte[] key, byte[]... args) {
    List<byte[]> keys = List.of(key);
    List<byte[]> argv = List.of(args);
    try {
      return jedis.evalsha(sha1, keys, argv);
    } catch (JedisNoScriptException e) {
      return jedis.eval(body, keys, argv);
    } catch (JedisDataException e) {
      // Older or proxied servers may answer NOSCRIPT without Jedis recognising the error class.
      if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) {
        return jedis.eval(body, keys, argv);
      }
      throw e;
    }
  }

  private static String sha1Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is required of every Java platform", e);
    }
  }
}
