// Multi-device sets through Debian's snmpsimd, one endpoint per device (see sets-suite.ts).
import { describeSets } from './sets-suite.ts';

describeSets('snmpsimd');
