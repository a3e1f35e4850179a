package envelope

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Every enquiry answer is encoded here without reflection: it is the
// hottest write of the sandbox. The bytes are exactly those json.Marshal
// writes for rechargestatus.Answer, which the tests and a fuzz target hold it to.

var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// WriteAnswer answers a with status, as WriteJSON would.
func WriteAnswer(w http.ResponseWriter, status int, a rechargestatus.Answer) {
	buf := answerBuffers.Get().(*[]byte)
	body := appendAnswer((*buf)[:0], a)
	w.Header()["Content-Type"] = jsonContentTypeValue
	w.WriteHeader(status)
	_, _ = w.Write(body)
	// The writer has copied the body by now; the buffer can serve again.
	*buf = body
	answerBuffers.Put(buf)
}

func appendAnswer(dst []byte, a rechargestatus.Answer) []byte {
	dst = append(dst, `{"response_code":`...)
	dst = strconv.AppendInt(dst, int64(a.ResponseCode), 10)
	dst = append(dst, `,"status":`...)
	dst = strconv.AppendBool(dst, a.Status)
	if a.Data != nil {
		dst = append(dst, `,"data":`...)
		dst = appendData(dst, a.Data)
	}
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, a.Message)
	return append(dst, '}')
}

func appendData(dst []byte, d *rechargestatus.Data) []byte {
	fields := [...]struct {
		name  string
		value string
	}{
		{`{"txnid":`, d.TxnID},
		{`,"operatorname":`, d.OperatorName},
		{`,"canumber":`, d.CANumber},
		{`,"amount":`, d.Amount},
		{`,"comm":`, d.Comm},
		{`,"tds":`, d.TDS},
		{`,"status":`, d.Status},
		{`,"refid":`, d.RefID},
		{`,"operatorid":`, d.OperatorID},
		{`,"dateadded":`, d.DateAdded},
		{`,"refunded":`, d.Refunded},
		{`,"refundtxnid":`, d.RefundTxnID},
	}
	for _, f := range fields {
		dst = append(dst, f.name...)
		dst = appendJSONString(dst, f.value)
	}
	dst = append(dst, `,"daterefunded":`...)
	if d.DateRefunded == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendJSONString(dst, *d.DateRefunded)
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does by default: HTML
// characters escaped, invalid UTF-8 replaced, U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
