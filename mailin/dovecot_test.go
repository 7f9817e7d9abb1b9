package mailin

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dovecot is a real Dovecot started by a test, in the foreground, on a
// loopback port, with one passwd-file user and a maildir under a temp dir.
type dovecot struct {
	addr    string
	maildir string // the user's Maildir (INBOX); folders are .Name inside
	uid     int
	gid     int
}

// startDovecot starts Dovecot or skips the test when it is not installed
// (a failure with DISCLOSE_E2E=1).
func startDovecot(t testing.TB) *dovecot {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/dovecot"); err == nil {
			bin = "/usr/sbin/dovecot"
		}
	}
	if bin == "" {
		if os.Getenv("DISCLOSE_E2E") == "1" {
			t.Fatal("dovecot is not installed and DISCLOSE_E2E=1 (apt-get install dovecot-imapd)")
		}
		t.Skip("dovecot is not installed (apt-get install dovecot-imapd); set DISCLOSE_E2E=1 to make this a failure")
	}
	dir := t.TempDir()
	// The mail processes run as the mail user; as root that is the dovecot
	// system user, who must reach the temp dir.
	mailUser, loginUser := currentUser(t), currentUser(t)
	if os.Geteuid() == 0 {
		mailUser, loginUser = "dovecot", "dovenull"
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for p := filepath.Dir(dir); p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
			os.Chmod(p, 0o755)
		}
	}
	u, err := user.Lookup(mailUser)
	if err != nil {
		t.Skipf("no user %s for dovecot: %v", mailUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	home := filepath.Join(dir, "home", "security")
	maildir := filepath.Join(home, "Maildir")
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(dir, "home"), home, maildir, filepath.Join(maildir, "new"), filepath.Join(maildir, "cur"), filepath.Join(maildir, "tmp")} {
		if err := os.Chown(p, uid, gid); err != nil && os.Geteuid() == 0 {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	passwd := filepath.Join(dir, "passwd")
	if err := os.WriteFile(passwd, []byte("security:{PLAIN}secret::::::\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "dovecot.conf")
	cfg := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = %[2]s
default_internal_group = %[6]s
default_login_user = %[3]s
first_valid_uid = 0
mail_location = maildir:%[1]s/home/%%u/Maildir
mail_privileged_group =
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[4]s
}
userdb {
  driver = static
  args = uid=%[7]d gid=%[8]d home=%[1]s/home/%%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[5]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
protocol imap {
  mail_max_userip_connections = 50
}
`, dir, mailUser, loginUser, passwd, port, groupOf(t, mailUser), uid, gid)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", conf)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Bounded wait for the listener: up to 200 attempts, each a real dial.
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "* OK") {
				break
			}
		}
		if i == 200 {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not start on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return &dovecot{addr: addr, maildir: maildir, uid: uid, gid: gid}
}

func currentUser(t testing.TB) string {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

func groupOf(t testing.TB, name string) string {
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	return g.Name
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// deliver writes a message into the maildir's new/ as a delivery agent
// would: written in tmp/, renamed into new/.
func (d *dovecot) deliver(t testing.TB, raw string) {
	t.Helper()
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	b := make([]byte, 8)
	rand.Read(b)
	name := fmt.Sprintf("%d.%s.test", time.Now().UnixNano(), hex.EncodeToString(b))
	tmp := filepath.Join(d.maildir, "tmp", name)
	if err := os.WriteFile(tmp, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chown(tmp, d.uid, d.gid)
	if err := os.Rename(tmp, filepath.Join(d.maildir, "new", name)); err != nil {
		t.Fatal(err)
	}
}

// files counts the messages of a maildir folder ("" is INBOX).
func (d *dovecot) files(t testing.TB, folder string) int {
	t.Helper()
	dir := d.maildir
	if folder != "" {
		dir = filepath.Join(d.maildir, "."+folder)
	}
	n := 0
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		n += len(entries)
	}
	return n
}
