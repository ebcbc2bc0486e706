// The consumer built, so the BOM manages every module it names. Here: the BOM names every module
// the build publishes, at the parent's version, and nothing else.
def xml = new groovy.xml.XmlSlurper()
def root = xml.parse(new File(reactorRoot, 'pom.xml'))
def bom = xml.parse(new File(reactorRoot, 'idempotency-bom/pom.xml'))

// Built and tested here, not published to Maven: the examples (the Spring Boot one too), the
// benchmarks, the BOM itself, and the JavaScript client (an npm package whose pom only runs its Node tests).
def unpublished = ['idempotency-examples', 'idempotency-examples-spring-boot', 'idempotency-benchmarks',
    'idempotency-bom', 'idempotency-client-js'] as Set
def published = (root.modules.module*.text() + root.profiles.profile.modules.module*.text())
    .findAll { !unpublished.contains(it) } as Set
def managed = bom.dependencyManagement.dependencies.dependency
def named = managed*.artifactId*.text() as Set

assert bom.version.text() == root.version.text() : "the BOM is at ${bom.version}, the parent at ${root.version}"
assert named.containsAll(published) : "the BOM does not manage ${published - named}"
assert published.containsAll(named) : "the BOM manages ${named - published}, which the build does not make"
managed.each { d ->
  assert d.groupId.text() == 'dev.idempotency' : "the BOM manages ${d.groupId}:${d.artifactId}, not one of ours"
  assert d.version.text() == '${project.version}' : "${d.artifactId} is at ${d.version}, not the BOM's version"
}
// The consumer names each published module.
def consumer = xml.parse(new File(basedir, 'pom.xml'))
def used = consumer.dependencies.dependency*.artifactId*.text() as Set
assert used.containsAll(published) : "src/it/consumer/pom.xml does not name ${published - used}"
return true
