//go:build unix

package audit

import (
	"os"
	"syscall"
)

// lockFile takes an advisory lock on f, exclusive or shared, waiting for it, and returns its
// release. Processes publishing to one checkpoint log take it exclusively around reading the
// newest record and appending; Verify takes it shared to see only whole records.
func lockFile(f *os.File, exclusive bool) (unlock func(), err error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }, nil
}
