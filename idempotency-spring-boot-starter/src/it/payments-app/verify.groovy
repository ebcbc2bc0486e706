// The fresh application built, so its tests passed; here: they all ran.
def log = new File(basedir, 'build.log').text
assert log.contains('Tests run: 3, Failures: 0, Errors: 0, Skipped: 0') : 'the application\'s three tests did not all run'
return true
