package sepa_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"parcours/internal/sepa"
	"parcours/internal/sepa/sepatest"
)

func TestCheckIBAN(t *testing.T) {
	for iban, ok := range map[string]bool{
		"FR1420041010050500013M02606":       true, // La Banque postale, with a letter in the account number
		"FR76 3000 6000 0112 3456 7890 189": true,
		"fr7630006000011234567890189":       true,
		"DE89370400440532013000":            true,
		"GB82WEST12345698765432":            true,
		"BE68539007547034":                  true,
		"NL91ABNA0417164300":                true,
		"ES9121000418450200051332":          true,
		"IT60X0542811101000000123456":       true,
		"CH9300762011623852957":             true,
		"MC5811222000010123456789030":       true,
		"FR1420041010050500013M02607":       false, // check digits
		"FR7630006000011234567890198":       false, // two digits swapped
		"FR76300060000112345678901":         false, // too short for France
		"DE893704004405320130001":           false, // too long for Germany
		"US64SVBKUS6S3300958879":            false, // not SEPA
		"FRAB30006000011234567890189":       false,
		"FR76-3000-6000-0112-3456-7890-18!": false,
		"":                                  false,
	} {
		if err := sepa.CheckIBAN(iban); (err == nil) != ok {
			t.Errorf("CheckIBAN(%q) = %v, want valid %v", iban, err, ok)
		}
	}
}

func TestCheckBIC(t *testing.T) {
	for bic, ok := range map[string]bool{
		"BNPAFRPPXXX": true, "BNPAFRPP": true, "agrifrpp882": true, "DEUTDEFF": true, "CEPAFRPP751": true, "PSSTFRPPLYO": true,
		"BNPAFRP": false, "BNPAFRPPXX": false, "1NPAFRPP": false, "BNPAUSPP": false, "BNPAFR1P": false, "BNPAFRPO": false, "": false,
		"BNPA-FRPP": false,
	} {
		if err := sepa.CheckBIC(bic); (err == nil) != ok {
			t.Errorf("CheckBIC(%q) = %v, want valid %v", bic, err, ok)
		}
	}
}

// frIBAN builds a French IBAN with its check digits from a BBAN of 23 characters.
func frIBAN(bban string) string {
	for k := 2; k <= 98; k++ {
		iban := fmt.Sprintf("FR%02d%s", k, bban)
		if sepa.CheckIBAN(iban) == nil {
			return iban
		}
	}
	return ""
}

// Every BBAN has exactly one pair of check digits, and the check catches every change of one
// digit and every swap of two different neighbouring digits (ISO 7064 MOD 97-10 guarantees both
// for digits only: a letter counts as two digits, so "1B" and "B1" both read 111).
func TestIBANCheckDigitsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		bban := rapid.StringMatching(`[0-9]{10}[0-9A-Z]{11}[0-9]{2}`).Draw(t, "bban")
		iban := frIBAN(bban)
		if iban == "" {
			t.Fatalf("no check digits for %s", bban)
		}
		i := rapid.IntRange(4, len(iban)-1).Draw(t, "i")
		c := rapid.SampledFrom([]byte("0123456789")).Draw(t, "c")
		isDigit := func(b byte) bool { return b >= '0' && b <= '9' }
		if c != iban[i] && isDigit(iban[i]) {
			changed := iban[:i] + string(c) + iban[i+1:]
			if sepa.CheckIBAN(changed) == nil {
				t.Fatalf("%s accepted for %s", changed, iban)
			}
		}
		if i+1 < len(iban) && iban[i] != iban[i+1] && isDigit(iban[i]) && isDigit(iban[i+1]) {
			swapped := iban[:i] + string(iban[i+1]) + string(iban[i]) + iban[i+2:]
			if sepa.CheckIBAN(swapped) == nil {
				t.Fatalf("swap %s accepted for %s", swapped, iban)
			}
		}
	})
}

func batch(n int) sepa.Batch {
	b := sepa.Batch{MsgID: "PARCOURS-20261204-0001", CreatedAt: time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC), Initiator: "Cap emploi Rhône",
		Debtor:    sepa.Party{Name: "Agefiph Délégation Auvergne-Rhône-Alpes", IBAN: "FR76 3000 6000 0112 3456 7890 189", BIC: "AGRIFRPP"},
		Execution: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	for i := range n {
		b.Transfers = append(b.Transfers, sepa.Transfer{EndToEndID: fmt.Sprintf("AIDE-%04d", i), Cents: int64(1000*i + 99),
			Creditor:   sepa.Party{Name: "Zoé Lefèvre-Œuvray & fils <test>", IBAN: "DE89370400440532013000", BIC: "DEUTDEFF"},
			Remittance: "Aide à la mobilité — permis de conduire, décision n° " + fmt.Sprint(i) + strings.Repeat(" très long", 30)})
	}
	return b
}

// The file validates against the ISO 20022 schema; its sums and names follow the EPC rules.
func TestWriteValidatesAgainstTheSchema(t *testing.T) {
	for _, n := range []int{1, 3, 40} {
		out, err := sepa.Write(batch(n))
		if err != nil {
			t.Fatal(err)
		}
		sepatest.Validate(t, out)
		s := string(out)
		if !strings.Contains(s, fmt.Sprintf("<NbOfTxs>%d</NbOfTxs>", n)) || !strings.Contains(s, "<Cd>SEPA</Cd>") ||
			!strings.Contains(s, "Zoe Lefevre-OEuvray fils test") || !strings.Contains(s, `Ccy="EUR"`) || strings.ContainsAny(s, "éèœ&<>—") && strings.Contains(s, "Zoé") {
			t.Fatalf("file:\n%s", s)
		}
		if !strings.Contains(s, "<CtrlSum>"+sepa.Euros(batch(n).Total())+"</CtrlSum>") {
			t.Fatalf("control sum missing:\n%s", s)
		}
	}
	if sepa.Euros(123456) != "1234.56" || sepa.Euros(5) != "0.05" {
		t.Fatal("euros")
	}
}

// A batch with bad identifiers is refused with every problem at once.
func TestWriteRefusesBadBatches(t *testing.T) {
	b := batch(2)
	b.Debtor.BIC = "XXXX"
	b.Transfers[0].Creditor.IBAN = "FR7630006000011234567890198"
	b.Transfers[1].Cents = 0
	b.Transfers[1].EndToEndID = b.Transfers[0].EndToEndID
	_, err := sepa.Write(b)
	if err == nil {
		t.Fatal("bad batch written")
	}
	for _, want := range []string{"donneur d'ordre : un BIC", "virement 1 : la clé", "virement 2 : montant", "virement 2 : référence"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	if _, err := sepa.Write(sepa.Batch{MsgID: "X", Debtor: batch(1).Debtor}); err == nil {
		t.Fatal("empty batch written")
	}
}
