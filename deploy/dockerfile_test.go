package deploy

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile reads the Dockerfile's stages: the default (last) one is
// Debian with python3 (the interpreter the sandbox runs, /usr/bin/python3)
// and the tool data of scripts/setup-data; both images run the same binary
// the same way; every file the build copies from the repository exists.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	type stage struct{ name, base, body string }
	var stages []stage
	from := regexp.MustCompile(`(?m)^FROM (\S+)(?: AS (\S+))?$`)
	idx := from.FindAllStringSubmatchIndex(string(data), -1)
	for i, m := range idx {
		end := len(data)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		name := ""
		if m[4] >= 0 {
			name = string(data[m[4]:m[5]])
		}
		stages = append(stages, stage{name: name, base: string(data[m[2]:m[3]]), body: string(data[m[1]:end])})
	}
	if len(stages) != 3 || stages[0].name != "build" || stages[1].name != "static" || stages[2].name != "full" {
		t.Fatalf("stages: %+v", stages)
	}
	full, static := stages[2], stages[1]
	if !strings.HasPrefix(full.base, "debian:") || !regexp.MustCompile(`apt-get install[^\n]*\bpython3\b`).MatchString(full.body) ||
		!strings.Contains(full.body, "setup-data") {
		t.Errorf("the default image must be Debian with python3 and the tool data: %s", full.body)
	}
	for _, s := range []stage{static, full} {
		for _, want := range []string{"COPY --from=build /out/dive /usr/local/bin/dive", `ENTRYPOINT ["/usr/local/bin/dive"]`,
			`CMD ["serve", "--addr", "0.0.0.0:8790"]`, "EXPOSE 8790"} {
			if !strings.Contains(s.body, want) {
				t.Errorf("stage %s lacks %q", s.name, want)
			}
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^COPY (\S+) `).FindAllStringSubmatch(string(data), -1) {
		if strings.HasPrefix(m[1], "--") || m[1] == "." {
			continue
		}
		if _, err := os.Stat("../" + m[1]); err != nil {
			t.Errorf("COPY %s: %v", m[1], err)
		}
	}
}
