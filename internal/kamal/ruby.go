package kamal

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kamal reads its YAML with Ruby's Psych (YAML 1.1), which types a plain
// scalar its own way (yes is true, 0x1F is 31, 1e3 a string), and passes
// an env value to docker as Ruby's to_s writes it. The patterns below are
// Psych's ScalarScanner's.
var (
	psychString = regexp.MustCompile(`^[^\d.:-]?[A-Za-z_\s!@#$%^&*(){}<>|/\\~;=]+`)
	psychDate   = regexp.MustCompile(`^(\d{4})-(1[012]|0\d|\d)-([12]\d|3[01]|0\d|\d)$`)
	psychSexa   = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+$`)
	psychFloat  = regexp.MustCompile(`^[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?$`)
	psychInt    = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$`)
	psychTrue   = regexp.MustCompile(`(?i)^(yes|true|on)$`)
	psychFalse  = regexp.MustCompile(`(?i)^(no|false|off)$`)
	psychNull   = regexp.MustCompile(`(?i)^(~|null)$`)
)

// rubyKind is the Ruby class Psych gives a scalar.
type rubyKind int

const (
	rubyString rubyKind = iota
	rubyNil
	rubyBool
	rubyInteger
	rubyFloat
	rubyOther // a Date or a Symbol: its to_s is the text
)

// rubyScalar is what Psych makes of n, and that value's to_s. A quoted,
// block or tagged scalar is the string as written.
func rubyScalar(n *yaml.Node) (string, rubyKind) {
	s := n.Value
	if n.Kind != yaml.ScalarNode || n.Style != 0 {
		return s, rubyString
	}
	switch {
	case s == "":
		return "", rubyNil
	case psychString.MatchString(s) || strings.Contains(s, "\n"):
		return rubyWord(s)
	case psychDate.MatchString(s):
		return rubyDate(s)
	case strings.EqualFold(s, ".inf"):
		return "Infinity", rubyFloat
	case strings.EqualFold(s, "-.inf"):
		return "-Infinity", rubyFloat
	case strings.EqualFold(s, ".nan"):
		return "NaN", rubyFloat
	case len(s) > 1 && s[0] == ':':
		return strings.Trim(s[1:], `"'`), rubyOther
	case psychSexa.MatchString(s):
		return rubySexagesimal(s)
	case psychFloat.MatchString(s):
		if strings.Trim(s, "+-") == "." {
			return s, rubyString
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(strings.NewReplacer(",", "", "_", "").Replace(s), "."), 64)
		if err != nil {
			return s, rubyString
		}
		return rubyFloatText(f), rubyFloat
	}
	t := strings.NewReplacer(",", "", "_", "").Replace(s)
	if !psychInt.MatchString(t) {
		return s, rubyString
	}
	return rubyInt(t)
}

// rubyWord types a scalar that starts like a word: null, a boolean or a
// string.
func rubyWord(s string) (string, rubyKind) {
	switch {
	case len(s) > 5:
		return s, rubyString
	case psychNull.MatchString(s):
		return "", rubyNil
	case psychTrue.MatchString(s):
		return "true", rubyBool
	case psychFalse.MatchString(s):
		return "false", rubyBool
	}
	return s, rubyString
}

// rubyDate is a date as Ruby's Date#to_s writes it (2024-1-5 is
// 2024-01-05); one that is no date stays a string.
func rubyDate(s string) (string, rubyKind) {
	d, err := time.Parse("2006-1-2", s)
	if err != nil {
		return s, rubyString
	}
	return d.Format("2006-01-02"), rubyOther
}

// rubyInt is an integer (Ruby's Integer(): 0b, 0 (octal) and 0x
// prefixes) in decimal.
func rubyInt(t string) (string, rubyKind) {
	neg := strings.HasPrefix(t, "-")
	digits, base := strings.TrimLeft(t, "+-"), 10
	switch {
	case strings.HasPrefix(digits, "0b"):
		digits, base = digits[2:], 2
	case strings.HasPrefix(digits, "0x"):
		digits, base = digits[2:], 16
	case len(digits) > 1 && digits[0] == '0':
		digits, base = digits[1:], 8
	}
	v, ok := new(big.Int).SetString(digits, base)
	if !ok {
		return t, rubyString
	}
	if neg {
		v.Neg(v)
	}
	return v.String(), rubyInteger
}

// rubySexagesimal is Psych's reading of 1:30:00 (base 60), its quirk
// kept: each part n at index e counts n * 60^|e-2|.
func rubySexagesimal(s string) (string, rubyKind) {
	total := new(big.Int)
	for e, part := range strings.Split(s, ":") {
		n, ok := new(big.Int).SetString(strings.ReplaceAll(strings.TrimPrefix(part, "+"), "_", ""), 10)
		if !ok {
			return s, rubyString
		}
		p := new(big.Int).Exp(big.NewInt(60), big.NewInt(int64(max(e-2, 2-e))), nil)
		total.Add(total, n.Mul(n, p))
	}
	return total.String(), rubyInteger
}

// rubyFloatText is f as Ruby's Float#to_s writes it: 1.0, 1000.0,
// 1.0e+16, 1.0e-05, Infinity, NaN.
func rubyFloatText(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(math.Abs(f), 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	decpt := x + 1
	sign := ""
	if f < 0 {
		sign = "-"
	}
	switch {
	case decpt > 0 && decpt <= 16:
		if len(digits) <= decpt {
			return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
		}
		return sign + digits[:decpt] + "." + digits[decpt:]
	case decpt <= 0 && decpt > -4:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	}
	frac := digits[1:]
	if frac == "" {
		frac = "0"
	}
	es := "+"
	if decpt-1 < 0 {
		es = "-"
	}
	return sign + digits[:1] + "." + frac + "e" + es + fmt2(abs(decpt-1))
}

func abs(n int) int { return max(n, -n) }

// fmt2 is n in at least two digits.
func fmt2(n int) string {
	s := strconv.Itoa(n)
	if len(s) < 2 {
		return "0" + s
	}
	return s
}
