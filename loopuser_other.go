//go:build !linux

package herd

import (
	"context"
	"errors"
)

// loopState is empty where there is no event loop.
type loopState struct{ env *userEnv }

var errLoopOS = errors.New("herd.LoopUser: needs Linux (epoll); use FastHTTPUser")

func (u *LoopUser) prepare(context.Context) error { return errLoopOS }
func (u *LoopUser) run(context.Context) error     { return errLoopOS }
func (u *LoopUser) close()                        {}
