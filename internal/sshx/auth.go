package sshx

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// credentials are the keys offered to every host: the identity file's key
// first, then the agent's. They are offered through one public-key method,
// because the ssh client tries each method name only once.
type credentials struct {
	method ssh.AuthMethod
	desc   string   // "identity /root/.ssh/id_ed25519 and ssh-agent", for errors
	agent  net.Conn // nil without an agent
}

func loadCredentials(identity string, environ []string) (*credentials, error) {
	var signers []ssh.Signer
	var descs []string
	var fileErr error
	if identity != "" {
		s, err := readIdentity(identity)
		if err != nil {
			fileErr = err
		} else {
			signers = append(signers, s)
			descs = append(descs, "identity "+identity)
		}
	}
	c := &credentials{}
	var agentClient agent.ExtendedAgent
	if sock := lookupEnv(environ, "SSH_AUTH_SOCK"); sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			if fileErr == nil && len(signers) == 0 {
				return nil, fmt.Errorf("%w: connecting to the ssh-agent at SSH_AUTH_SOCK: %v", ErrAuth, err)
			}
		} else {
			c.agent = conn
			agentClient = agent.NewClient(conn)
			descs = append(descs, "ssh-agent")
		}
	}
	if agentClient == nil {
		if fileErr != nil {
			return nil, fileErr
		}
		if len(signers) == 0 {
			return nil, fmt.Errorf("%w: no identity file is configured and SSH_AUTH_SOCK is not set: set ssh { identity = \"~/.ssh/id_ed25519\" } or start an ssh-agent", ErrAuth)
		}
	}
	c.desc = strings.Join(descs, " and ")
	c.method = ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
		out := append([]ssh.Signer(nil), signers...)
		if agentClient != nil {
			more, err := agentClient.Signers()
			if err == nil {
				out = append(out, more...)
			}
		}
		return out, nil
	})
	return c, nil
}

func (c *credentials) close() {
	if c != nil && c.agent != nil {
		_ = c.agent.Close()
	}
}

func readIdentity(path string) (ssh.Signer, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: identity file %s does not exist: set ssh { identity = ... } to your private key, or use an ssh-agent (SSH_AUTH_SOCK)", ErrAuth, path)
		}
		return nil, fmt.Errorf("%w: reading identity file %s: %v", ErrAuth, path, err)
	}
	s, err := ssh.ParsePrivateKey(pem)
	var pm *ssh.PassphraseMissingError
	if errors.As(err, &pm) {
		return nil, fmt.Errorf("%w: identity file %s is encrypted with a passphrase: load it into an ssh-agent (ssh-add %s) and set SSH_AUTH_SOCK", ErrAuth, path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: identity file %s is not a private key berth can read (ed25519, rsa or ecdsa in OpenSSH or PEM format): %v", ErrAuth, path, err)
	}
	return s, nil
}

func lookupEnv(environ []string, key string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(environ[i], key+"="); ok {
			return v
		}
	}
	return ""
}
