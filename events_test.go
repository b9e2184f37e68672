package herd

import (
	"errors"
	"fmt"
	"testing"
)

func TestUserErrorIsAnError(t *testing.T) {
	t.Parallel()
	cause := errors.New("out of stock")
	var err error = UserError{UserType: "Shopper", Task: "checkout", Err: fmt.Errorf("cart: %w", cause)}
	if err.Error() != "Shopper.checkout: cart: out of stock" {
		t.Errorf("Error() = %q", err.Error())
	}
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not see the cause")
	}
	var ue UserError
	if !errors.As(fmt.Errorf("wrapped: %w", err), &ue) || ue.Task != "checkout" {
		t.Errorf("errors.As: %+v", ue)
	}
}
