// Validates Kubernetes manifests against the API schemas (kubernetes-models, @kubernetes-models/keda),
// offline. kubernetes-models is ESM-only, so the Jest test runs this as a child process:
//   node test/support/validate-manifests.mjs file.yaml...   → JSON lines { file, apiVersion, kind, name, errors }
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Service, Secret } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';

const MODELS = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const errors = doc.errors.map((e) => e.message);
    const obj = doc.toJS();
    if (obj === null) continue;
    if (obj.kind === 'Kustomization') continue;
    const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
    if (!Model) errors.push(`no schema known for ${obj.apiVersion} ${obj.kind}`);
    else {
      try {
        new Model(obj).validate();
      } catch (err) {
        errors.push(err.message);
      }
    }
    process.stdout.write(
      JSON.stringify({ file, apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata?.name, errors, doc: obj }) + '\n',
    );
  }
}
