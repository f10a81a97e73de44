// Package chaos is berth's chaos harness (make chaos): rounds of real
// applies on the lab, each with one fault fired at a step boundary read from
// the apply's progress lines (a cut link, packet loss, a killed dockerd or
// sshd, berth killed or interrupted, a broken image, a second apply at the
// same time), and after every round the invariants that must hold whatever
// the fault: one running container per (host, role) of the old or the new
// version, the web answering, no lock left behind unannounced, a plan that
// shows every (host, role) that is not exactly as configured, one apply that
// converges, no secret in any output.
//
// The plain files hold what needs no lab and is tested by go test ./...:
// the schedule a seed gives (Schedule), the progress lines (ParseLine), the
// invariants on given data (CheckOneRunning, CheckPlanHonest, ...) and the
// report. The lab driver is in the files behind the e2e build tag, run by
// make chaos ROUNDS=N SEED=S. It does not start or repair the lab, except
// the daemons it kills itself.
package chaos
