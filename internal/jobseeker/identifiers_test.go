package jobseeker_test

import (
	"strconv"
	"testing"
	"time"

	"parcours/internal/jobseeker"
)

func TestCheckNIR(t *testing.T) {
	for _, tc := range []struct {
		name, nir string
		ok        bool
	}{
		{"the textbook example", "184127645108946", true},
		{"a woman born in May 1990", "290057512345669", true},
		{"Corsica 2A", "175092A00411239", true},
		{"Corsica 2B", "195082B01234552", true},
		{"unknown month (20 and above)", "1842076451089" + key(t, "1842076451089"), true},
		{"wrong key", "184127645108947", false},
		{"14 characters", "18412764510894", false},
		{"16 characters", "1841276451089460", false},
		{"a letter", "18412764510894X", false},
		{"2C is no département", "175092C00411239", false},
		{"sex 3", "384127645108946", false},
		{"month 00", "1840076451089" + key(t, "1840076451089"), false},
		{"month 13", "1841376451089" + key(t, "1841376451089"), false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := jobseeker.CheckNIR(tc.nir); (err == nil) != tc.ok {
				t.Fatalf("CheckNIR(%q) = %v, want ok=%v", tc.nir, err, tc.ok)
			}
		})
	}
}

// key computes a NIR key independently of CheckNIR, for numbers without Corsica.
func key(t *testing.T, n13 string) string {
	t.Helper()
	n, err := strconv.ParseUint(n13, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	k := 97 - n%97
	if k < 10 {
		return "0" + strconv.FormatUint(k, 10)
	}
	return strconv.FormatUint(k, 10)
}

func TestNormaliseNIR(t *testing.T) {
	if got := jobseeker.NormaliseNIR(" 1 84 12 76.451-089 46 "); got != "184127645108946" {
		t.Fatalf("got %q", got)
	}
	if got := jobseeker.NormaliseNIR("1 75 09 2a 004 112 39"); got != "175092A00411239" {
		t.Fatalf("Corsica lower case: %q", got)
	}
}

func TestNIRConsistent(t *testing.T) {
	born := time.Date(1984, 12, 3, 0, 0, 0, 0, time.UTC)
	if err := jobseeker.NIRConsistent("184127645108946", jobseeker.Monsieur, born); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    jobseeker.Civility
		born time.Time
	}{
		{"civility", jobseeker.Madame, born},
		{"year", jobseeker.Monsieur, born.AddDate(1, 0, 0)},
		{"month", jobseeker.Monsieur, born.AddDate(0, -1, 0)},
	} {
		if err := jobseeker.NIRConsistent("184127645108946", tc.c, tc.born); err == nil {
			t.Errorf("%s mismatch accepted", tc.name)
		}
	}
	// An unknown month in the NIR matches any month.
	nir := "1842076451089" + key(t, "1842076451089")
	if err := jobseeker.NIRConsistent(nir, jobseeker.Monsieur, born.AddDate(0, -5, 0)); err != nil {
		t.Fatalf("unknown month: %v", err)
	}
}

func TestCheckFTID(t *testing.T) {
	for id, ok := range map[string]bool{
		"1234567A": true, "12345678": true, "12345678901": true,
		"1234567a": false, "123456A8": false, "1234567": false, "123456789012": false, "1234567890": false, "": false,
	} {
		if err := jobseeker.CheckFTID(id); (err == nil) != ok {
			t.Errorf("CheckFTID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
	if got := jobseeker.NormaliseFTID(" 1234 567a "); got != "1234567A" {
		t.Fatalf("normalised: %q", got)
	}
}

func FuzzCheckNIR(f *testing.F) {
	for _, s := range []string{"184127645108946", "175092A00411239", "", "2A2B2A2B2A2B2A2", "999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := jobseeker.NormaliseNIR(s)
		if jobseeker.CheckNIR(n) != nil {
			return
		}
		// Whatever passes is 15 characters, sex 1 or 2, and its key is right.
		if len(n) != 15 || (n[0] != '1' && n[0] != '2') {
			t.Fatalf("accepted %q", n)
		}
		digits := n
		switch n[5:7] {
		case "2A":
			digits = n[:5] + "19" + n[7:]
		case "2B":
			digits = n[:5] + "18" + n[7:]
		}
		v, err := strconv.ParseUint(digits[:13], 10, 64)
		k, err2 := strconv.ParseUint(digits[13:], 10, 64)
		if err != nil || err2 != nil || k != 97-v%97 {
			t.Fatalf("accepted %q with a wrong key", n)
		}
	})
}
