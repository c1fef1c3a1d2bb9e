// Multi-device sets through Canopy's own simulator (see sets-suite.ts).
import { describeSets } from './sets-suite.ts';

describeSets('canopy');
