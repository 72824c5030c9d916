// The describe sections several kinds share live with the kinds; the chaos describer reads them from here.

export { writeAnnotations, writeEvents, writeLabels } from '@kip/shared';
