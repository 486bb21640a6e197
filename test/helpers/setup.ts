import { installNetworkGuard } from './network-guard.js';

installNetworkGuard();
