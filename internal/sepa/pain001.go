package sepa

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Party is the debtor of a batch or the creditor of a transfer: a name and an account.
type Party struct {
	Name string
	IBAN string
	BIC  string
}

// Transfer is one credit transfer of a batch.
type Transfer struct {
	// EndToEndID is the reference the creditor's bank gives back (35 characters at most).
	EndToEndID string
	// Cents is the amount in euro cents (more than 0).
	Cents    int64
	Creditor Party
	// Remittance is the unstructured remittance information the beneficiary reads on their
	// statement (140 characters at most; longer is cut).
	Remittance string
}

// Batch is a payment file: one debtor, one execution date, its transfers.
type Batch struct {
	// MsgID identifies the file for the bank, unique per sender (35 characters at most).
	MsgID     string
	CreatedAt time.Time
	// Initiator is who sends the file (the initiating party).
	Initiator string
	Debtor    Party
	// Execution is the requested execution date.
	Execution time.Time
	Transfers []Transfer
}

// Total is the sum of the batch's transfers, in cents.
func (b Batch) Total() int64 {
	var t int64
	for _, x := range b.Transfers {
		t += x.Cents
	}
	return t
}

// Euros writes cents as the file does: "1234.50".
func Euros(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }

// Latin keeps a text within the SEPA character set (EPC: a-z A-Z 0-9 / - ? : ( ) . , ' + and
// space): accents are removed, any other character becomes a space; cut to max runes.
func Latin(s string, max int) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'œ':
			b.WriteString("oe")
		case r == 'Œ':
			b.WriteString("OE")
		case r == 'æ':
			b.WriteString("ae")
		case r == 'ß':
			b.WriteString("ss")
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/-?:().,'+ ", r)):
			b.WriteRune(r)
		case r == '’':
			b.WriteByte('\'')
		default:
			b.WriteByte(' ')
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if len(out) > max {
		out = strings.TrimSpace(out[:max])
	}
	return out
}

// Check returns every problem of a batch at once, in French: identifiers, amounts, names.
func (b Batch) Check() error {
	var errs []error
	if b.MsgID == "" || len(b.MsgID) > 35 || Latin(b.MsgID, 35) != b.MsgID {
		errs = append(errs, fmt.Errorf("identifiant de fichier invalide"))
	}
	if len(b.Transfers) == 0 {
		errs = append(errs, fmt.Errorf("aucun virement dans le lot"))
	}
	party := func(who string, p Party) {
		if Latin(p.Name, 70) == "" {
			errs = append(errs, fmt.Errorf("%s : nom manquant", who))
		}
		if err := CheckIBAN(p.IBAN); err != nil {
			errs = append(errs, fmt.Errorf("%s : %w", who, err))
		}
		if err := CheckBIC(p.BIC); err != nil {
			errs = append(errs, fmt.Errorf("%s : %w", who, err))
		}
	}
	party("donneur d'ordre", b.Debtor)
	seen := map[string]bool{}
	for i, t := range b.Transfers {
		who := fmt.Sprintf("virement %d", i+1)
		party(who, t.Creditor)
		if t.Cents <= 0 {
			errs = append(errs, fmt.Errorf("%s : montant nul ou négatif", who))
		}
		if t.EndToEndID == "" || len(t.EndToEndID) > 35 || Latin(t.EndToEndID, 35) != t.EndToEndID || seen[t.EndToEndID] {
			errs = append(errs, fmt.Errorf("%s : référence de bout en bout invalide ou en double", who))
		}
		seen[t.EndToEndID] = true
	}
	return errors.Join(errs...)
}

// The XML of pain.001.001.03, in the order of the schema's sequences.
type (
	document struct {
		XMLName xml.Name `xml:"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03 Document"`
		Init    initiation
	}
	initiation struct {
		XMLName xml.Name    `xml:"CstmrCdtTrfInitn"`
		Header  groupHeader `xml:"GrpHdr"`
		Payment paymentInfo `xml:"PmtInf"`
	}
	groupHeader struct {
		MsgID     string `xml:"MsgId"`
		CreatedAt string `xml:"CreDtTm"`
		Count     int    `xml:"NbOfTxs"`
		CtrlSum   string `xml:"CtrlSum"`
		Initiator name   `xml:"InitgPty"`
	}
	name struct {
		Name string `xml:"Nm"`
	}
	paymentInfo struct {
		ID          string        `xml:"PmtInfId"`
		Method      string        `xml:"PmtMtd"`
		BatchBook   bool          `xml:"BtchBookg"`
		Count       int           `xml:"NbOfTxs"`
		CtrlSum     string        `xml:"CtrlSum"`
		ServiceCode string        `xml:"PmtTpInf>SvcLvl>Cd"`
		Execution   string        `xml:"ReqdExctnDt"`
		Debtor      name          `xml:"Dbtr"`
		DebtorIBAN  string        `xml:"DbtrAcct>Id>IBAN"`
		DebtorBIC   string        `xml:"DbtrAgt>FinInstnId>BIC"`
		Charges     string        `xml:"ChrgBr"`
		Transfers   []transaction `xml:"CdtTrfTxInf"`
	}
	transaction struct {
		EndToEnd     string `xml:"PmtId>EndToEndId"`
		Amount       amount `xml:"Amt>InstdAmt"`
		CreditorBIC  string `xml:"CdtrAgt>FinInstnId>BIC"`
		Creditor     name   `xml:"Cdtr"`
		CreditorIBAN string `xml:"CdtrAcct>Id>IBAN"`
		Remittance   string `xml:"RmtInf>Ustrd,omitempty"`
	}
	amount struct {
		Currency string `xml:"Ccy,attr"`
		Value    string `xml:",chardata"`
	}
)

// Write checks the batch (Check) and writes its pain.001.001.03 file.
func Write(b Batch) ([]byte, error) {
	if err := b.Check(); err != nil {
		return nil, err
	}
	total := Euros(b.Total())
	initiator := Latin(b.Initiator, 70)
	if initiator == "" {
		initiator = Latin(b.Debtor.Name, 70)
	}
	p := paymentInfo{ID: b.MsgID, Method: "TRF", BatchBook: true, Count: len(b.Transfers), CtrlSum: total, ServiceCode: "SEPA",
		Execution: b.Execution.Format(time.DateOnly), Debtor: name{Latin(b.Debtor.Name, 70)}, DebtorIBAN: NormalizeIBAN(b.Debtor.IBAN),
		DebtorBIC: NormalizeBIC(b.Debtor.BIC), Charges: "SLEV"}
	for _, t := range b.Transfers {
		p.Transfers = append(p.Transfers, transaction{EndToEnd: t.EndToEndID, Amount: amount{"EUR", Euros(t.Cents)},
			CreditorBIC: NormalizeBIC(t.Creditor.BIC), Creditor: name{Latin(t.Creditor.Name, 70)}, CreditorIBAN: NormalizeIBAN(t.Creditor.IBAN),
			Remittance: Latin(t.Remittance, 140)})
	}
	doc := document{Init: initiation{Header: groupHeader{MsgID: b.MsgID, CreatedAt: b.CreatedAt.UTC().Format("2006-01-02T15:04:05"),
		Count: len(b.Transfers), CtrlSum: total, Initiator: name{initiator}}, Payment: p}}
	var out bytes.Buffer
	out.WriteString(xml.Header)
	enc := xml.NewEncoder(&out)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
