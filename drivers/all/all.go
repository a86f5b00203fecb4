// Package all registers every driver of this module; import it for its side
// effect:
//
//	import _ "github.com/kvcompose/compose/drivers/all"
//
// Then compose.Open takes every URL form of the module: file, mem, sftp,
// rclone, s3, b2, http, https and rest. A program that needs only some of
// them imports those driver packages instead and links nothing else
// (file:// and mem:// need no import at all).
package all

import (
	// Each driver package registers its schemes in an init function.
	_ "github.com/kvcompose/compose/drivers/memory"
	_ "github.com/kvcompose/compose/drivers/posixfs"
	_ "github.com/kvcompose/compose/drivers/rclone"
	_ "github.com/kvcompose/compose/drivers/rest"
	_ "github.com/kvcompose/compose/drivers/s3"
	_ "github.com/kvcompose/compose/drivers/sftp"
)
