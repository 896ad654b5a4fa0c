"""One page of a PDF as a PNG, for the README's picture of report.pdf (pypdfium2, from the test extra):

    python docs/pdf_page.py <results folder>/report.pdf 1 docs/report_cover.png

(``experiments/regenerate.py --main-job`` renders the main job's cover with it.)
"""

import sys

import pypdfium2 as pdfium


def main(pdf_path: str, page: str, out: str, dpi: float = 100) -> None:
    pdf = pdfium.PdfDocument(pdf_path)
    try:
        pdf[int(page) - 1].render(scale=dpi / 72).to_pil().save(out)
    finally:
        pdf.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
