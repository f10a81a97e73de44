package kamal

import "strings"

// shellWords splits s the way a POSIX shell splits a simple command:
// blanks separate words, single and double quotes and backslashes quote.
// ok is false when s needs a shell to mean what it says (expansions,
// pipes, redirections, lists, an open quote).
func shellWords(s string) (words []string, ok bool) {
	var (
		cur    strings.Builder
		inWord bool
		quote  byte
	)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote == '\'':
			if ch == '\'' {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case quote == '"':
			switch {
			case ch == '"':
				quote = 0
			case ch == '$' || ch == '`':
				return nil, false
			case ch == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0:
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote, inWord = ch, true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.IndexByte("$`|&;<>()*?[]{}~#", ch) >= 0 && !(ch == '#' && inWord):
			return nil, false
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, false
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, len(words) > 0
}
