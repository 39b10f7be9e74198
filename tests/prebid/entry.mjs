// The Prebid.js bundle of the browser test: the core and the one module a page needs to
// use Shelfspace as its Prebid Server (the s2s adapter). `pbjs` becomes the page's global.
import pbjs from 'prebid.js';
import 'prebid.js/modules/prebidServerBidAdapter';

pbjs.processQueue();
