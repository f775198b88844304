package dlq

// Depth is depth, for the tests.
var Depth = depth
