/* reports/junit.h - the report as JUnit XML, for Jenkins, GitLab and Azure DevOps.
 *
 * Made from the report document (report_doc.h says why), in the structure of the JUnit
 * schema those tools read (Jenkins' junit-10.xsd, Surefire's):
 *
 *   <testsuites name="ucscan contoso[ (incomplete)]" tests= failures= errors= time=SCAN_SECONDS>
 *     <testsuite name=HOST tests= failures= errors= skipped= time=SUM_OF_CASES
 *                timestamp=STARTED_AT (UTC, no zone letter) package="ucscan">
 *       <properties> address, roles, topology, product, scan_complete, warnings (how many
 *                    warn verdicts), not_checked, fail_on ("fail", or "warn" in strict mode)
 *       </properties>
 *       <testcase name="front-end 5061/tcp mtls" classname="ucscan.fe01_contoso_test"
 *                 time=RTT_SECONDS>
 *         fail: <failure message=REASON type=STATE>state, attempts, requirements</failure>
 *         skip: <skipped message=REASON/>
 *         warn: <system-out>warn: REASON, then state, certificate, requirements</system-out>;
 *               strict: <failure message="warn: REASON" type="warn">...</failure>
 *         a range an interrupted scan cut short ("partial", not failed):
 *               <error message=REASON type="incomplete">...</error>
 *         pass: nothing inside
 *       </testcase>
 *       a check the interrupted scan did not finish (the host's "not_checked"), named as it
 *       would be: <error message="not checked: ..." type="incomplete">requirements</error>
 *       <system-out> the host's warnings and what was not checked, one line each </system-out>
 *     </testsuite>
 *     a report with "complete": false that names nothing unfinished: a suite "ucscan" with one
 *     errored case "scan complete"
 *
 * Test case names are "ROLES PORT/TRANSPORT PROTOCOL": ROLES the distinct roles of the
 * check's requirements joined with "," ("ad-hoc" for --ports scans), PORT a port or a range
 * "a-b". The class name is "ucscan." and the host name with its dots made "_" (Jenkins reads
 * the last dot-separated part of a class name as the class).
 *
 * So an interrupted scan is never green: what it did not check is an error (Jenkins, GitLab,
 * junitparser and xunit-viewer count errors as failures). A warning passes by default (JUnit
 * has no warning result; Jenkins and junitparser count it as passed) but is visible: in its
 * case's output, in the suite's "warnings" property and in the suite's output; in strict mode
 * (`--fail-on warn`) it is a failure.
 */
#ifndef UC_JUNIT_H
#define UC_JUNIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct junit_opts {
  bool warn_fails; /* strict (--fail-on warn): a warning is a failure */
};

/* Writes the XML document for `report`. `o` NULL: the defaults. Returns 0, or -1 when the
 * document is not a report object or a write failed. */
int junit_write_opts(FILE *out, const json_t *report, const struct junit_opts *o);
/* junit_write_opts with the defaults (a warning passes, visibly). */
int junit_write(FILE *out, const json_t *report);

/* `len` bytes of text (UTF-8, possibly invalid or hostile) as XML 1.0 character data:
 * & < > always escaped; in attribute values (attr) also " ' and TAB, LF, CR as character
 * references, which attribute-value normalisation would otherwise turn into spaces; CR in
 * content too (XML parsers fold CR LF into LF). Invalid UTF-8, characters XML 1.0 forbids
 * (C0 controls other than TAB LF CR, surrogates, U+FFFE, U+FFFF), DEL and the C1 controls
 * become U+FFFD, so no server can make the document unparseable or smuggle terminal
 * escapes into a CI page. */
void junit_xml_escape(FILE *out, const char *s, size_t len, bool attr);

#endif
