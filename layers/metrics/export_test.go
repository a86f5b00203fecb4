package metrics

// Now is the layer's clock, for the benchmarks.
var Now = now
