/**
 * Jest's per-file progress and failure details, without its closing summary block: the run's last
 * word is the closing-line reporter's, so nothing after it can be read as a different count.
 */
import { DefaultReporter } from '@jest/reporters';

export default DefaultReporter;
