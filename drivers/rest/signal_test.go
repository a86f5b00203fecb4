package rest_test

import "os"

// interrupt stops a kvcompose serve process as Ctrl-C does.
var interrupt = os.Interrupt
