package quota

// The record, for the tests that look at it from below the layer.
var (
	RecordName = theRecord.name
	RecordOpts = theRecord.opts
)

// Stripe is the stripe of a name, for the tests that need two names of one.
var Stripe = stripeOf
