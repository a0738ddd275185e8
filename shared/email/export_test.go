package email

// BigMail lets the integration tests generate the 30 MB message too.
var BigMail = bigMail
