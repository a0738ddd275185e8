package notice

// MaxRead lets the tests place text where Mask stops reading.
const MaxRead = maxRead
