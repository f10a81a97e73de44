package dockerapi

import (
	"context"
	"encoding/json"
	"testing"
)

func TestCreateSendsContainerOptions(t *testing.T) {
	f := newFakeDaemon(t)
	f.handle("POST /containers/create", 201, "create.json")
	c, _ := newTestClient(t, f)
	_, err := c.Create(context.Background(), "shop-web-v1", CreateSpec{
		Image: "app", RestartPolicy: "on-failure", RestartRetries: 3,
		Memory: 128 << 20, MemoryReservation: 64 << 20, NanoCPUs: 1_500_000_000, PidsLimit: 200, ShmSize: 1 << 30,
		User: "1000:1000", WorkingDir: "/srv", Hostname: "web-1", Entrypoint: []string{"/app"}, Init: true, ReadOnly: true,
		ExtraHosts: []string{"db:10.0.0.5"}, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"MKNOD"},
		SecurityOpt: []string{"no-new-privileges"}, Devices: []Device{{"/dev/fuse", "/dev/fuse", "rwm"}},
		Sysctls: map[string]string{"net.core.somaxconn": "1024"}, Ulimits: []Ulimit{{"nofile", 1024, 4096}},
		Tmpfs: map[string]string{"/tmp": "size=64m"}, LogDriver: "json-file", LogOptions: map[string]string{"max-size": "10m"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(f.requests()[0].Body), &got); err != nil {
		t.Fatal(err)
	}
	want := `{"Entrypoint":["/app"],"HostConfig":{"CapAdd":["NET_ADMIN"],"CapDrop":["MKNOD"],` +
		`"Devices":[{"CgroupPermissions":"rwm","PathInContainer":"/dev/fuse","PathOnHost":"/dev/fuse"}],"ExtraHosts":["db:10.0.0.5"],` +
		`"Init":true,"LogConfig":{"Config":{"max-size":"10m"},"Type":"json-file"},"Memory":134217728,"MemoryReservation":67108864,` +
		`"NanoCpus":1500000000,"PidsLimit":200,"ReadonlyRootfs":true,"RestartPolicy":{"MaximumRetryCount":3,"Name":"on-failure"},` +
		`"SecurityOpt":["no-new-privileges"],"ShmSize":1073741824,"Sysctls":{"net.core.somaxconn":"1024"},"Tmpfs":{"/tmp":"size=64m"},` +
		`"Ulimits":[{"Hard":4096,"Name":"nofile","Soft":1024}]},"Hostname":"web-1","Image":"app","User":"1000:1000","WorkingDir":"/srv"}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("body\n got %s\nwant %s", b, want)
	}
}
