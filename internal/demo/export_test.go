package demo

// AdminSecret opens the demo administrator's TOTP key, for the test that scans the raw
// database for it.
var AdminSecret = adminSecret
