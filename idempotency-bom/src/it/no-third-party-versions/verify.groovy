// The build failed for the right reason: the BOM was imported and left these versions unmanaged.
def log = new File(basedir, 'build.log').text
assert !log.contains('Non-resolvable import POM') : 'the consumer could not import the BOM'
['jakarta.servlet:jakarta.servlet-api', 'redis.clients:jedis', 'com.fasterxml.jackson.core:jackson-databind'].each {
  assert log.contains("'dependencies.dependency.version' for ${it}:jar is missing") :
      "the BOM manages a version of ${it}"
}
return true
