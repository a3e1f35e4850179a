package dialect

import (
	"strconv"
	"unicode/utf8"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Answers are encoded here without reflection: an enquiry's answer is the
// hottest write of the sandbox. With the page's key the bytes are exactly
// those json.Marshal writes for rechargestatus.Answer and ErrorAnswer, which
// the tests and fuzz targets hold them to; another key changes the key alone.

// AppendAnswer appends the status answer a (HTTP 200) as the dialect spells it.
func (d Dialect) AppendAnswer(dst []byte, a rechargestatus.Answer) []byte {
	return AppendAnswer(dst, a, d.Knobs().AnswerCodeKey)
}

// AppendError appends the error answer e as the dialect spells it.
func (d Dialect) AppendError(dst []byte, e rechargestatus.ErrorAnswer) []byte {
	return AppendError(dst, e, d.Knobs().ErrorCodeKey)
}

// AppendAnswer appends the status answer a with its code spelt key.
func AppendAnswer(dst []byte, a rechargestatus.Answer, key CodeKey) []byte {
	dst = append(dst, '{')
	dst = appendKey(dst, key)
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

// AppendError appends the error answer e with its code spelt key.
func AppendError(dst []byte, e rechargestatus.ErrorAnswer, key CodeKey) []byte {
	dst = append(dst, `{"status":`...)
	dst = strconv.AppendBool(dst, e.Status)
	dst = append(dst, ',')
	dst = appendKey(dst, key)
	dst = strconv.AppendInt(dst, int64(e.ResponseCode), 10)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, e.Message)
	if e.Remarks != "" {
		dst = append(dst, `,"remarks":`...)
		dst = appendJSONString(dst, e.Remarks)
	}
	return append(dst, '}')
}

// appendKey appends `"key":`, the known spellings without quoting them again.
func appendKey(dst []byte, key CodeKey) []byte {
	switch key {
	case CodeKeyPage:
		return append(dst, `"response_code":`...)
	case CodeKeyUpstream:
		return append(dst, `"responsecode":`...)
	}
	dst = appendJSONString(dst, string(key))
	return append(dst, ':')
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
			dst = appendEscapedByte(dst, b)
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscapedByte(dst []byte, b byte) []byte {
	switch b {
	case '\\', '"':
		return append(dst, '\\', b)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
}
