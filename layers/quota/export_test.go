package quota

// The record, for the tests that look at it from below the layer.
var (
	RecordName = theRecord.name
	RecordOpts = theRecord.opts
)
