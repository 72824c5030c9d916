// A new Job's selector and pod labels, as the Job registry strategy generates them: unless the
// user asked to choose the selector (manualSelector), the Job selects its pods by its own uid, so
// that no other Job's pods, however labelled, are ever counted as its own. The uid is what the
// store would give the object anyway; it is chosen here because the selector has to carry it.

import { newUid } from '../store/uid.js';
import {
  fromLabelSelector,
  jsonEqual,
  LABEL_JOB_CONTROLLER_UID,
  LABEL_JOB_NAME,
  LEGACY_LABEL_JOB_CONTROLLER_UID,
  LEGACY_LABEL_JOB_NAME,
  randomSuffix,
  selectorToString,
  type Job,
  type KObject,
} from '@kip/shared';
import { invalid } from './errors.js';
import type { AdmissionHook } from './registry.js';

export const jobSelectorAdmission: AdmissionHook = (op, obj: KObject) => {
  if (op !== 'create' || obj.kind !== 'Job') return;
  const job = obj as Job;
  // The name goes into a label, so a generated one is chosen now.
  if (!job.metadata.name && job.metadata.generateName) job.metadata.name = `${job.metadata.generateName}${randomSuffix()}`;
  const uid = newUid();
  job.metadata.uid = uid;
  if (job.spec.manualSelector === true) return;
  const tpl = job.spec.template;
  tpl.metadata ??= {};
  const labels = (tpl.metadata.labels ??= {});
  // Labels the user set are kept; a wrong uid among them is refused below.
  for (const k of [LABEL_JOB_NAME, LEGACY_LABEL_JOB_NAME]) labels[k] ??= job.metadata.name;
  for (const k of [LABEL_JOB_CONTROLLER_UID, LEGACY_LABEL_JOB_CONTROLLER_UID]) labels[k] ??= uid;
  const want = { matchLabels: { [LABEL_JOB_CONTROLLER_UID]: uid } };
  const given = job.spec.selector;
  const errors: { field: string; message: string }[] = [];
  if (given && !jsonEqual(given, want))
    errors.push({ field: 'spec.selector', message: `Invalid value: "${selectorToString(fromLabelSelector(given))}": \`selector\` not auto-generated` });
  if (labels[LABEL_JOB_CONTROLLER_UID] !== uid)
    errors.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify(labels[LABEL_JOB_CONTROLLER_UID])}: must be '${uid}'` });
  if (errors.length > 0) throw invalid('Job', job.metadata.name, errors);
  job.spec.selector = want;
  // A Job without labels of its own is labelled as its pods are, as SetDefaults_Job does.
  if (Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...labels };
};
