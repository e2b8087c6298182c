package xmpp

import "encoding/xml"

// xmlNS is the namespace of the xml: prefix (xml:lang).
const xmlNS = "http://www.w3.org/XML/1998/namespace"

// unqualified reads r, keeping of each start element's attributes only
// those of no namespace (and xml:lang). encoding/xml fills a field tagged
// `xml:"from,attr"` from every attribute whose local name is from,
// whatever its namespace, the last one winning; a sender may write
// a:from or xml:from (or declare xmlns:from) beside the from the server
// sets, and Prosody keeps it and writes the attributes in an order its
// hash seed decides. So every stanza a session decodes into a struct is
// read through unqualified: the from, type, delay, stanza-id and room
// item a session believes are the ones the server and rooms write
// (h-sec20c, TestAttackS20cForgedPresenceTakesAnotherOccupant).
func unqualified(r xml.TokenReader) xml.TokenReader { return unqualifiedReader{r} }

type unqualifiedReader struct{ r xml.TokenReader }

func (u unqualifiedReader) Token() (xml.Token, error) {
	tok, err := u.r.Token()
	start, ok := tok.(xml.StartElement)
	if !ok {
		return tok, err
	}
	kept := make([]xml.Attr, 0, len(start.Attr))
	for _, a := range start.Attr {
		// The tokens were read with namespaces resolved: an attribute's
		// Space is its namespace, "xmlns" for a prefix's declaration
		// (not needed again: names are resolved already).
		if a.Name.Space == "" || (a.Name.Space == xmlNS && a.Name.Local == "lang") {
			kept = append(kept, a)
		}
	}
	start.Attr = kept
	return start, err
}
