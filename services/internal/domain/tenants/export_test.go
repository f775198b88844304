package tenants

// DecodeForTest is decodeFile for the external tests: a file parsed but not
// validated.
var DecodeForTest = decodeFile
