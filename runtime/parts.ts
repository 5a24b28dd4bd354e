import { botPart } from '../bot/bot.part.js';
import { registerConsole } from '../console/console.routes.js';
import { demoCasesPart } from './demo-cases.part.js';
import { housekeepingPart } from './housekeeping.part.js';
import { mailPart } from './mail/mail.part.js';
import { reportsPart } from './reports.part.js';
import type { ProductPart } from './start.js';

/** The composition root's list of product parts, in the order their routes and jobs are registered. */
export const PRODUCT_PARTS: ProductPart[] = [mailPart, botPart, { name: 'console', http: registerConsole }, demoCasesPart, housekeepingPart, reportsPart];
