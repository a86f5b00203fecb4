// Package kv is the contract of kvcompose: the Backend interface that every
// driver and every layer implements, the per-call options, the sentinel
// errors, the name rules, and the generic helpers (Hash, Defrag, option
// checks) that drivers without a faster way reuse.
//
// A driver (where bytes live) validates every name with ValidateName, refuses
// layer options with CheckOptions, and wraps every failure with
// NewError so that errors.Is reaches the sentinel through any layer.
package kv
