package sms

import (
	"strings"
	"unicode/utf8"
)

// Encoding is how a text travels over the air.
type Encoding string

// The two SMS encodings.
const (
	// GSM7 packs 160 characters into one part (153 per part when split);
	// characters of the extension table take two.
	GSM7 Encoding = "GSM-7"
	// UCS2 carries any other text (every Chinese character): 70 UTF-16
	// units in one part, 67 per part when split.
	UCS2 Encoding = "UCS-2"
)

// Part sizes, in GSM-7 septets or UCS-2 units.
const (
	gsmSingle  = 160
	gsmMulti   = 153
	ucs2Single = 70
	ucs2Multi  = 67
)

// gsmBasic is the GSM 03.38 default alphabet (the escape itself left out).
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension is the extension table: each costs an escape plus itself.
const gsmExtension = "\f^{}\\[~]|€"

// Segments is what a text costs to send.
type Segments struct {
	Encoding Encoding
	// Units are GSM-7 septets (extension characters count twice) or UCS-2
	// code units (characters outside the BMP count twice).
	Units int
	// Parts is how many SMS the text is sent as.
	Parts int
}

// Count returns the encoding, size and number of parts of text. A text
// split into parts never cuts an extension character or a surrogate pair
// in two, so parts are counted by filling them, not by dividing.
func Count(text string) Segments {
	if text == "" {
		return Segments{Encoding: GSM7}
	}
	enc := GSM7
	for _, r := range text {
		if !strings.ContainsRune(gsmBasic, r) && !strings.ContainsRune(gsmExtension, r) {
			enc = UCS2
			break
		}
	}
	single, multi := gsmSingle, gsmMulti
	if enc == UCS2 {
		single, multi = ucs2Single, ucs2Multi
	}
	units, parts, fill := 0, 1, 0
	for _, r := range text {
		w := unitWidth(enc, r)
		units += w
		if fill+w > multi {
			parts++
			fill = 0
		}
		fill += w
	}
	if units <= single {
		parts = 1
	}
	return Segments{Encoding: enc, Units: units, Parts: parts}
}

func unitWidth(enc Encoding, r rune) int {
	if enc == GSM7 {
		if strings.ContainsRune(gsmExtension, r) {
			return 2
		}
		return 1
	}
	if r == utf8.RuneError || r < 0x10000 {
		return 1
	}
	return 2
}
