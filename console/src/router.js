import { createRouter, createWebHashHistory } from 'vue-router'
import { isAdmin, session } from './api.js'
import { listPages } from './pages.js'
import BucketBrowser from './views/BucketBrowser.vue'
import Dashboard from './views/Dashboard.vue'
import DeployWizard from './views/DeployWizard.vue'
import LimitsView from './views/LimitsView.vue'
import Login from './views/Login.vue'
import ResourceList from './views/ResourceList.vue'
import ZoneWizard from './views/ZoneWizard.vue'

const routes = [
  { path: '/login', component: Login, meta: { public: true } },
  { path: '/', component: Dashboard },
  { path: '/deploy', component: DeployWizard },
  { path: '/zone-wizard', component: ZoneWizard, meta: { admin: true } },
  { path: '/buckets/:name', component: BucketBrowser, props: true },
  { path: '/limits', component: LimitsView },
  ...listPages.map((page) => ({
    path: `/${page.path}`,
    component: ResourceList,
    props: { page },
    meta: { admin: page.admin },
  })),
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHashHistory(), routes })

router.beforeEach((to) => {
  if (!to.meta.public && !session.user) return { path: '/login', query: { next: to.fullPath } }
  if (to.meta.admin && !isAdmin()) return '/'
  return true
})
