// Package kv is the contract of kvcompose: the Backend interface that every
// driver and every layer implements, the per-call options, the sentinel
// errors, the name rules, and the walk down a stack (Stack, As,
// PropertiesOf). It is what a caller of a store needs; package compose
// opens one from a URL. The kit for writing a driver or a layer is package
// kv/backendkit, and package kv/kvtest checks an implementation.
//
// # Names
//
// An item is addressed by a name such as "config/settings" or
// "data/0123abcd": ASCII, lowercase, the characters a-z 0-9 . _ - ~ : + = ,
// @ and "/" between segments, relative (no leading or trailing "/", no empty
// segment, no ".."), at most MaxNameLen (100) characters as the driver sees
// it (nesting directories and the ".del" suffix included), and not ending
// in ".tmp" or ".hid". The empty name "" is the root, valid for List, Mkdir
// and Info. ValidateName says what is wrong with a name; an invalid name is
// ErrInvalidName. List("data/") lists "data".
//
// # Options
//
// Per-call options change one call: Range (a part of a value, for Load),
// Deleted, SoftDelete and Undelete (consumed by a soft-delete layer),
// ChangeLevel (consumed by a nesting layer), Target and TargetHash (where
// Defrag writes), Hidden (an internal ".hid" item), and Recursive (List of
// everything below a directory, on drivers whose Properties say Flat). A
// layer consumes the options it implements; an option that reaches a
// driver which does not take it is ErrUnsupported, and the message names
// the layer that is missing (OptionKind.Layer).
//
// # Errors
//
// Every error wraps one of the sentinels where one applies, so that
// errors.Is reaches it through any stack: ErrNotFound, ErrExists,
// ErrNoStore, ErrNotOpen, ErrAlreadyOpen, ErrInvalidName, ErrInvalidURL,
// ErrUnsupported, ErrReadRange, ErrPermission, ErrQuotaExceeded,
// ErrNotAStore, ErrConnection and ErrTransient (the last two are worth
// retrying), and ErrProtocol (a remote store answered outside its
// protocol). The
// error is an *Error that names the operation and the item; a cancelled
// context gives the context's error, wrapped the same way.
//
// # Lifecycle
//
// A store is created (Create), opened and closed any number of times (Open,
// Close), and destroyed (Destroy). Create marks it with a hidden record;
// Open and Destroy of a directory that no store made are ErrNotAStore.
// Create, Destroy and Open on an open store are ErrAlreadyOpen; item calls
// and Close on a closed one are ErrNotOpen. Every item call checks, in this
// order: the state, the options, the name, the context. The full rules are
// in docs/semantics.md of the module; package kvtest checks them.
package kv
