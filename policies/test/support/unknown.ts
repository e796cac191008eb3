/**
 * The sentinels the Pulumi engine sends for values it cannot know during preview. @pulumi/policy
 * exports them from its proxy module (not from its typings); unknownCheckingProxy throws on reading one.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require('@pulumi/policy/proxy') as {
  unknownStringValue: string;
  unknownArrayValue: string;
  unknownNumberValue: string;
  unknownBooleanValue: string;
  unknownObjectValue: string;
};

export const UNKNOWN_STRING = proxy.unknownStringValue;
export const UNKNOWN_ARRAY = proxy.unknownArrayValue;
export const UNKNOWN_NUMBER = proxy.unknownNumberValue;
export const UNKNOWN_BOOLEAN = proxy.unknownBooleanValue;
export const UNKNOWN_OBJECT = proxy.unknownObjectValue;
