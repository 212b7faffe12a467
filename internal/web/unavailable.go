package web

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"syscall"
)

// isUnavailable tells whether err means the database (or another dependency) cannot be
// reached, which deserves a 503 and a retry rather than a 500.
func isUnavailable(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ENOSPC):
		return true
	case errors.As(err, &netErr):
		return true
	}
	return false
}
