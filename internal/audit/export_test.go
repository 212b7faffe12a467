package audit

// VerifyIn runs Verify's checks through q, so tamper tests can edit the tables and check in one
// transaction, then roll it back.
var VerifyIn = verify

// DecodeCursor exposes the cursor parser to the fuzz test.
var DecodeCursor = decodeCursor
