package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// TestManifests decodes every document of deploy/k8s strictly into the
// Kubernetes API type its apiVersion and kind name (an unknown or misspelt
// field fails), then checks that the pieces fit: selectors, ports, probes,
// the token secret, the drain time, affinity and the autoscaler's target.
func TestManifests(t *testing.T) {
	files, err := filepath.Glob("k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var dep *appsv1.Deployment
	var svc *corev1.Service
	var hpa *autoscalingv2.HorizontalPodAutoscaler
	var pdb *policyv1.PodDisruptionBudget
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			var head struct{ APIVersion, Kind string }
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s #%d: %v", f, i, err)
			}
			var target any
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				dep = &appsv1.Deployment{}
				target = dep
			case "v1 Service":
				svc = &corev1.Service{}
				target = svc
			case "autoscaling/v2 HorizontalPodAutoscaler":
				hpa = &autoscalingv2.HorizontalPodAutoscaler{}
				target = hpa
			case "policy/v1 PodDisruptionBudget":
				pdb = &policyv1.PodDisruptionBudget{}
				target = pdb
			default:
				t.Fatalf("%s #%d: unexpected %s %s", f, i, head.APIVersion, head.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, target); err != nil {
				t.Fatalf("%s #%d (%s): %v", f, i, head.Kind, err)
			}
		}
	}
	if dep == nil || svc == nil || hpa == nil || pdb == nil {
		t.Fatal("want a Deployment, a Service, an HPA and a PodDisruptionBudget")
	}
	labels := dep.Spec.Template.Labels
	matches := func(sel map[string]string) bool {
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if !matches(dep.Spec.Selector.MatchLabels) || !matches(svc.Spec.Selector) || !matches(pdb.Spec.Selector.MatchLabels) {
		t.Fatal("a selector does not match the pod template's labels")
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if c.Args[0] != "serve" || !slices.Contains(c.Args, "0.0.0.0:8790") {
		t.Fatalf("container args %v", c.Args)
	}
	var token bool
	for _, e := range c.Env {
		token = token || e.Name == "DIVE_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
	}
	if !token {
		t.Fatal("DIVE_TOKEN must come from a secret: off loopback dive serve refuses to start without a token")
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 8790 || svc.Spec.Ports[0].TargetPort != intstr.FromString(c.Ports[0].Name) {
		t.Fatalf("ports: container %v, service %v", c.Ports, svc.Spec.Ports)
	}
	for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
			t.Fatalf("probe %v", p)
		}
	}
	if a := dep.Spec.Template.Spec.AutomountServiceAccountToken; a == nil || *a {
		t.Error("the pod mounts a service-account token: dive needs none, and sandboxed code once read it")
	}
	if g := dep.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || *g <= 30 {
		t.Fatal("the grace period must outlast the 30 s drain")
	}
	if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		t.Fatal("the service needs client-IP affinity so that a reconnect can resume its episodes")
	}
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Add, "SYS_ADMIN") || sc.SeccompProfile == nil ||
		sc.SeccompProfile.Type != corev1.SeccompProfileTypeUnconfined || sc.RunAsUser == nil || *sc.RunAsUser != 0 {
		t.Fatalf("securityContext %+v: the sandbox needs root, CAP_SYS_ADMIN and no seccomp profile", sc)
	}
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != dep.Name || *hpa.Spec.MinReplicas < 1 {
		t.Fatalf("hpa target %+v", hpa.Spec.ScaleTargetRef)
	}
	if !strings.HasPrefix(c.Image, "ghcr.io/dive-env/dive") {
		t.Fatalf("image %q", c.Image)
	}
}
