import type { SimFolder } from '../model/folder';
import type { Json } from './messageJson';
import { graphDate } from './odata';
import type { SimUser } from '../model/user';

/**
 * What GET /users returns without $select (docs/graph-behaviour.md, "Users and shared mailboxes"); accountEnabled,
 * userType... only when selected.
 */
export const USER_DEFAULT_PROPERTIES = [
    'businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation',
    'preferredLanguage', 'surname', 'userPrincipalName',
] as const; // prettier-ignore

export const USER_PROPERTIES = [
    ...USER_DEFAULT_PROPERTIES,
    'accountEnabled', 'userType', 'mailNickname', 'proxyAddresses', 'assignedPlans', 'createdDateTime',
    'onPremisesSyncEnabled', 'usageLocation',
] as const; // prettier-ignore

const EXCHANGE_PLAN_ID = '9f431833-0334-42de-a7dc-70aa40db46db';

export function userJson(user: SimUser, select?: readonly string[]): Json {
    const [given = '', ...rest] = user.displayName.split(' ');
    const all: Json = {
        businessPhones: [],
        displayName: user.displayName,
        givenName: user.kind === 'shared' ? null : given,
        id: user.id,
        jobTitle: null,
        mail: user.mail,
        mobilePhone: null,
        officeLocation: null,
        preferredLanguage: user.kind === 'member' ? 'en-US' : null,
        surname: user.kind === 'shared' ? null : rest.join(' ') || null,
        userPrincipalName: user.upn,
        accountEnabled: user.accountEnabled,
        userType: user.userType,
        mailNickname: (user.mail ?? user.upn).split('@')[0],
        proxyAddresses: user.mail ? [`SMTP:${user.mail}`] : [],
        // A licence hint only: shared mailboxes need none, and a plan says nothing about where the mailbox lives.
        assignedPlans:
            user.kind === 'member'
                ? [
                      {
                          assignedDateTime: graphDate(user.createdAt),
                          capabilityStatus: 'Enabled',
                          service: 'exchange',
                          servicePlanId: EXCHANGE_PLAN_ID,
                      },
                  ]
                : [],
        createdDateTime: graphDate(user.createdAt),
        onPremisesSyncEnabled: null,
        usageLocation: user.kind === 'member' ? 'US' : null,
    };
    const json: Json = {};
    for (const name of select ?? USER_DEFAULT_PROPERTIES) json[name] = all[name];
    return json;
}

export const FOLDER_PROPERTIES = [
    'id', 'displayName', 'parentFolderId', 'childFolderCount', 'unreadItemCount', 'totalItemCount', 'isHidden',
] as const; // prettier-ignore

export function folderJson(folder: SimFolder, rootParentId: string, select?: readonly string[]): Json {
    const all: Json = {
        id: folder.id,
        displayName: folder.displayName,
        parentFolderId: folder.parent?.id ?? rootParentId,
        childFolderCount: folder.childFolderCount,
        unreadItemCount: folder.unreadItemCount,
        totalItemCount: folder.totalItemCount,
        isHidden: folder.isHidden,
    };
    const json: Json = {};
    if (folder.search) json['@odata.type'] = '#microsoft.graph.mailSearchFolder';
    for (const name of FOLDER_PROPERTIES) {
        if (name === 'id' || !select || select.includes(name)) json[name] = all[name];
    }
    if (folder.search && !select) {
        json.isSupported = true;
        json.includeNestedFolders = folder.search.includeNestedFolders;
        json.sourceFolderIds = folder.search.sourceFolderIds;
        json.filterQuery = folder.search.filterQuery;
    }
    return json;
}
