package account_test

import (
	"context"
	"testing"

	"parcours/internal/account"
)

// BenchmarkPasswordHash measures the production argon2id cost; the homologation target is at
// least 50 ms per hash on CI hardware, and the Hasher lets at most one hash per CPU run at once.
func BenchmarkPasswordHash(b *testing.B) {
	h := account.NewHasher(account.DefaultHashParams)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "Correct-Cheval-Pile-42"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTOTPCode measures computing a TOTP code (done for each login with MFA).
func BenchmarkTOTPCode(b *testing.B) {
	for b.Loop() {
		if _, err := account.CodeAt("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP", start); err != nil {
			b.Fatal(err)
		}
	}
}
