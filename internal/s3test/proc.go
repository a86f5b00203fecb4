package s3test

import "os/exec"

// setProcAttr prepares the versitygw command; proc_linux.go ties its life
// to the test binary's.
var setProcAttr = func(*exec.Cmd) {}
