package sms

// GuardKey is guardKey, for tests that set the new-ticket guard's
// counters up by hand.
var GuardKey = guardKey
